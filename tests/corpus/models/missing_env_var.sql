select '{{ env_var('UXT_CORPUS_SURELY_UNSET') }}'

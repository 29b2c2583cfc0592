select '{{ this.frobnicate.x }}'

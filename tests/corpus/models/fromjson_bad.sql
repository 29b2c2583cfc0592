select {{ fromjson('{oops') }}

-- TUX bus lines: seven radials (R1-R7) and the crosstown C1.
select line_id, line_code, line_name, line_kind, adult_fare_cents
from {{ source('uxc', 'transit_lines') }}

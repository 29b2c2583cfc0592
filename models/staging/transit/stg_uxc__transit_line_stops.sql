-- The stops of each line in the order a forward trip serves them.
select line_id, stop_seq, stop_id
from {{ source('uxc', 'transit_line_stops') }}

-- Bus stops, four per district; 9601 is Old Town Interchange.
select stop_id, stop_name, district_id
from {{ source('uxc', 'transit_stops') }}

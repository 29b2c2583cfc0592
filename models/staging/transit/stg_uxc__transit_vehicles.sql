-- The bus fleet; each bus works one line.
select vehicle_id, fleet_number, line_id, model, capacity
from {{ source('uxc', 'transit_vehicles') }}

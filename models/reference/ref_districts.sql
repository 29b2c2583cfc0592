-- The twenty districts of Uxcestershire (ids 301-320), with their zone and share of population.
select
    cast(district_id as integer) as district_id,
    district_name,
    zone,
    cast(target_share as numeric(6, 4)) as target_share
from (
    values
        (301, 'Old Town', 'urban', 0.0900),
        (302, 'Riverside', 'urban', 0.0800),
        (303, 'Market Quarter', 'urban', 0.0750),
        (304, 'Foundry Hill', 'urban', 0.0700),
        (305, 'Canal Side', 'urban', 0.0650),
        (306, 'Northgate', 'suburban', 0.0600),
        (307, 'Southgate', 'suburban', 0.0550),
        (308, 'Eastfield', 'suburban', 0.0550),
        (309, 'Westmoor', 'suburban', 0.0500),
        (310, 'Abbey Green', 'suburban', 0.0500),
        (311, 'Mill End', 'suburban', 0.0450),
        (312, 'Kingsbridge', 'suburban', 0.0450),
        (313, 'Orchard Vale', 'suburban', 0.0400),
        (314, 'Stonecross', 'suburban', 0.0400),
        (315, 'Heathby', 'rural', 0.0350),
        (316, 'Little Uxley', 'rural', 0.0300),
        (317, 'Fenwick', 'rural', 0.0300),
        (318, 'Bramblecombe', 'rural', 0.0250),
        (319, 'High Tor', 'rural', 0.0200),
        (320, 'Saltmarsh', 'rural', 0.0200)
) as districts (district_id, district_name, zone, target_share)

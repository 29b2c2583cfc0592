-- Fare cards as they stand today (cancelled cards keep their last row).
select card_id, card_type, issued_day, status, updated_day
from {{ source('uxc', 'transit_cards') }}

-- Each loyalty customer's transactions, one row each: a sale per order (its subtotal, before
-- tax) and a refund per returned item (negative), each on the day it happened.
select
    customer_id,
    'sale' as kind,
    order_id,
    day_serial,
    subtotal_cents as amount_cents
from {{ ref('stg_uxc__retail_orders') }}
where customer_id is not null

union all

select
    orders.customer_id,
    'refund' as kind,
    returns.order_id,
    returns.day_serial,
    -returns.refund_cents as amount_cents
from {{ ref('stg_uxc__retail_returns') }} as returns
inner join {{ ref('stg_uxc__retail_orders') }} as orders
    on orders.order_id = returns.order_id
where orders.customer_id is not null

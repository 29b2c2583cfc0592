-- Gross sales per order day, store and product (returns not deducted), reproducing
-- `truth.retail_daily_sales`; checked by `assert_fct_retail_daily_sales_matches_truth`.
-- Incremental on the feed's delivery day: the feed only appends, but an order can arrive a day
-- or two late, so each build recomputes every order day that received rows since the last
-- delivery the table has seen (late ones included) and replaces those days' rows. Filtering on
-- the order day instead would drop the late orders of days already built.
{{ config(materialized='incremental', unique_key=['day_serial', 'store_id', 'product_id']) }}

select *
from {{ ref('int_retail_daily_sales') }}
{% if is_incremental() %}
where day_serial in (
    select distinct day_serial
    from {{ ref('int_retail_product_sales') }}
    where delivered_day > (select coalesce(max(last_delivered_day), -1) from {{ this }})
)
{% endif %}

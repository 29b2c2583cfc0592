-- Each feed's staging model drops the second deliveries the chaos ledger records, and nothing
-- else: raw rows less staged rows equals the ledger's duplicates of that feed, counting those
-- whose second delivery has arrived (a duplicate comes at most a day after the first, which is
-- at most two days late). A staging model that does not de-duplicate, or drops late rows,
-- fails it.
{% set feeds = [
    ('retail_orders', 'stg_uxc__retail_orders'),
    ('retail_returns', 'stg_uxc__retail_returns'),
    ('retail_web_sessions', 'stg_uxc__retail_web_sessions'),
    ('retail_loan_payments', 'stg_uxc__retail_loan_payments'),
] %}
with feeds as (
    {% for table, staged in feeds %}
    select
        '{{ table }}' as table_name,
        (select count(*) from {{ source('uxc', table) }}) as raw_rows,
        (select count(*) from {{ ref(staged) }}) as staged_rows,
        (select max(_delivered_day) from {{ source('uxc', table) }}) as last_delivered_day
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

ledger as (
    select table_name, day_serial
    from {{ source('uxc_truth', 'chaos_ledger') }}
    where chaos_type = 'duplicate'
)

select
    feeds.table_name,
    feeds.raw_rows - feeds.staged_rows as dropped,
    (
        select count(*)
        from ledger
        where ledger.table_name = feeds.table_name
            and ledger.day_serial <= feeds.last_delivered_day - 3
    ) as ledger_duplicates_settled,
    (
        select count(*)
        from ledger
        where ledger.table_name = feeds.table_name
    ) as ledger_duplicates
from feeds
where feeds.raw_rows - feeds.staged_rows < (
        select count(*)
        from ledger
        where ledger.table_name = feeds.table_name
            and ledger.day_serial <= feeds.last_delivered_day - 3
    )
    or feeds.raw_rows - feeds.staged_rows > (
        select count(*)
        from ledger
        where ledger.table_name = feeds.table_name
    )

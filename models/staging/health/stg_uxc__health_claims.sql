-- Claims, one row per claim: the latest version received (a re-adjudicated claim's version 2
-- replaces version 1, whose resubmitted copy says REPLACED), a duplicate delivery dropped (the
-- first kept), and the diagnosis code in its canonical ICD-10 spelling (`j11.1`, `J111` and
-- `J11.1 ` all become `J11.1`). Claims arrive on their received day, days to months after the
-- service, so recent service months are still filling.
with deliveries as (
    select
        claims.*,
        row_number() over (
            partition by claim_id
            order by
                claim_version desc,
                case when status = 'REPLACED' then 1 else 0 end,
                _delivered_day
        ) as version_rank
    from {{ source('uxc', 'health_claims') }} as claims
)

select
    claim_id,
    claim_version,
    member_id,
    plan_id,
    provider_id,
    service_day,
    {{ ux_year_month('service_day') }} as ux_month,
    received_day,
    received_day - service_day as lag_days,
    service_at,
    {{ icd10_code('diagnosis_code') }} as diagnosis_code,
    status,
    claim_version > 1 as is_readjudicated,
    billed_cents,
    allowed_cents,
    paid_cents,
    member_resp_cents,
    _delivered_day as delivered_day
from deliveries
where version_rank = 1

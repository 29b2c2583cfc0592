-- The factory mart reproduces the simulator's clean truth within 2% on every settled day:
-- de-duplication, late rows, local plant time and the many spellings of machines and products
-- all have to be handled for this to pass.
{{ compare_to_truth(
    mart=ref('fct_factory_daily'),
    truth=source('uxc_truth', 'factory_daily'),
    keys=['day_serial', 'machine_id', 'product_id'],
    measures=['batches', 'units_produced', 'units_defective', 'energy_kwh'],
    last_delivered_day="(select max(_delivered_day) from " ~ source('uxc', 'factory_batches') ~ ")"
) }}

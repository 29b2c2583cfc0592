select {{ cents_to_unit('x') }} as y

"""Supply layer: what is on offer.

:mod:`~mgg_geo.supply.initiatives` reads the register of prevention
initiatives, validates every row (errors name the file, Excel row and column)
and places each initiative in EPSG:28992: exactly, by address, postcode or
town (PDOK Locatieserver), or as an area-wide offer by area code.
"""

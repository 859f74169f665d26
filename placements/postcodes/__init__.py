"""Postcodes anywhere in the UK: the table `placements postcodes load` fills from the ONS Postcode
Directory or Code-Point Open, and the lookup that places a postcode on the map from it."""

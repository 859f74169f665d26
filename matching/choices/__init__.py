"""Pupils' ranked choices: entered by schools one by one or uploaded, checked and closed."""

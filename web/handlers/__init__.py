"""Request handling shared by the page and the JSON API blueprints of a domain.

A page blueprint and its API blueprint read the same request fields and call the same domain
service; what they share lives here, never in either blueprint, so that no blueprint calls
another one's functions. Each helper makes one domain call (one transaction).
"""

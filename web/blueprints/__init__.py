"""One blueprint per area: auth, home (map), api, admin, vendor (offline JS/CSS)."""

"""The frontend's routes, in upstream's layout: `apiv3_ns` is the APIv3 (/api_3/)."""

"""The public REST API (DRF): one module per resource, plus what every endpoint shares."""

"""The storefront: the site's HTTP layer over the domain and the recommender.

Pages (`views`, `forms`, templates/), the public REST API (`api/`: listings, events, recommendations, and the
parsing, paging, throttling and error handling they share), page event logging, error pages, security headers and
uploaded files. It imports the apps below it (marketplace, interest_units, recommender); none of them imports it.
"""

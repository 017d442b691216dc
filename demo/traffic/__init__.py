"""Simulated shoppers on the live storefront (`manage.py simulate_traffic`): a load generator whose users know what
they like, so an online experiment run on their traffic has a ground truth.

`shoppers` holds the users' latent tastes (the demo simulator's model of users), `clients` the two ways of reaching
the storefront (in-process, or HTTP to a loopback server), `run` the sessions, their pacing and the cleanup.
"""

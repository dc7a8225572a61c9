"""The running process: server, settings, live knowledge and reload, replicas, spool, metrics.

`server` starts HTTP or Socket Mode and the background tasks; `settings`
reads the environment; `live` holds the snapshot being served and swaps it on
reload; `replicas` keeps several copies on one version; `spool` keeps log rows
the database could not take; `metrics`, `jsonlog` and `clock` are the edges.
"""

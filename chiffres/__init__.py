"""The composition root: the Starlette application, the server, the worker and the command line.

``app`` builds the collaborators once and hands them to every package's routes and job handlers; ``server``
starts the database, the web server and the worker, under the domain and mode that ``identity`` settles; ``cli`` is
the ``chiffres`` command. It imports every other package and nothing imports it, so the packages below can be read,
tested and reused without it.
"""

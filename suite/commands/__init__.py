"""The commands of the ``protbench`` command line, one module per group (``protbench.cli`` builds the parser):

* :mod:`.run` — ``run`` (and ``--dry-run``), ``embed`` (and ``--out``);
* :mod:`.catalog` — ``list``, ``show``;
* :mod:`.data` — ``prefetch``, ``leakage``, ``cache``;
* :mod:`.options` — data/model options, argument checks and exit codes they share.
"""

"""Human judgement: a paired-comparison study kit (issue 18).

The pieces, each its own module with one job:

* :mod:`asym.judge.design`   which pairs to show per test image, catch trials, left/right
* :mod:`asym.judge.build`    ``asym judge build``: SR outputs -> study folder + manifest
* :mod:`asym.judge.manifest` reading and checking a study folder
* :mod:`asym.judge.store`    SQLite (WAL) store of observers and answers
* :mod:`asym.judge.invite`   ``asym judge invite``: one token link per observer
* :mod:`asym.judge.pages`    the HTML of the observer's pages
* :mod:`asym.judge.server`   ``asym judge serve``: the study as a web app (FastAPI on uvicorn)
* :mod:`asym.judge.screening` catch-trial accuracy, side bias, circular triads per observer
* :mod:`asym.judge.fit`      ``asym judge fit``: Bradley-Terry per image and overall, bootstrap,
  rows in the evaluation.csv contract with evaluator ``human``
* :mod:`asym.judge.cli`      the ``asym judge`` subcommands

A study is a folder (``manifest.json`` + ``stimuli/``); its answers live in
``<study>.sqlite`` beside it, so rebuilding the study never deletes them.

No judgement is ever synthesized here: answers come only from observers through the
server. The scripted observer of the browser tests lives in ``tests/`` only.
"""

"""Training of the small models of the default bundle (docs/training.md).

Modules: ``fetch_photos`` (photographs from Debian packages), ``data`` (patch archives,
aligned pair crops, a smoke-test-only degradation), ``common`` (seeding, devices,
checkpoints, EMA, the resumable loop), and one script per network: ``train_cleaner``,
``train_vae``, ``train_diffusion``; ``trained`` loads the exported runs for the bundle
exporter. Run them as modules from the repository root, e.g.
``tools/.venv/bin/python -m tools.train.train_cleaner --help``.
"""

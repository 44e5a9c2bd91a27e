"""Tengja's settings, for the load benchmark: its URLs and a TechEmpower-style
"fortunes" view (bench_urls.py), which the product's own URLs do not have."""

from tengja.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"

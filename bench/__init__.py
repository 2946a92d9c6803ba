"""On-demand benchmarks (``make bench``): each prints figures and ratios against a baseline
measured in the same run, never absolute thresholds inside tests."""

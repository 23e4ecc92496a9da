"""The benchmark's Home Assistant half, run by scripts/bench through pytest.

Not collected by the normal test run (testpaths is tests/).
"""

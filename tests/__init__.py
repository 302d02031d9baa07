"""The test suite; its folders mirror the package (tests/<subpackage>/test_<module>.py)."""

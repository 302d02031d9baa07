"""Data stage: reference photographs, degradations, synthetic IQA set, readers."""

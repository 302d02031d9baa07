"""One module per figure; each reads result CSVs only and never imports torch."""

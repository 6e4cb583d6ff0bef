"""One module per revision: NNNN_what_it_changes.py."""

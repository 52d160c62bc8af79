"""The console's pages: the officer's lists and items, the centre's views, the directory."""

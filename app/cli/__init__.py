"""`sweedle` on the command line: a front end beside the window, driving `app.core`."""

"""Reading and writing files: vector layers, tables of sites."""

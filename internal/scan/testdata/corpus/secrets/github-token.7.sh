git clone https://x-access-token:ghs_kgspdlIdBl9jqKlirIYTsUkwWWZbFi0ws74n@github.com/o/r.git

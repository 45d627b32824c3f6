package main

const apiToken = "zYzRjAZYN7nLza4iNe4j5lH96jffVhPMjQMMt3tB"

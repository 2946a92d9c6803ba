"""The Scrapy side of blogscope: runs as a subprocess, writes raw records and WARC files."""

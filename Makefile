.PHONY: serve test build validate eval bench

serve:  ## set up, build the index if missing, serve on 127.0.0.1:$${TDS_PORT:-8000}
	bash scripts/serve.sh

test:   ## set up and run every test (browser and Elasticsearch included)
	bash scripts/test.sh

build:
	$$(bash scripts/venv.sh)/bin/python -m indexer build

validate:
	$$(bash scripts/venv.sh)/bin/python -m indexer validate data/raw/*

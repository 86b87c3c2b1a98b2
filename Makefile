# geociv — the two commands a new user needs:
#   make run    install, load the Zhumadian demo, serve the map on http://127.0.0.1:5000
#   make test   install (with Debian chromium for the browser tests, Debian's GDAL for the
#               GeoPackage validator, PostgreSQL + PostGIS for the server-backend tests), lint,
#               run the test suite

VENV   ?= .venv
PYTHON ?= python3
STORE  ?= instance/geociv.gpkg
# the service honours GEOCIV_HOST / GEOCIV_PORT from the environment (make HOST=… PORT=… too)
HOST   ?= $(or $(GEOCIV_HOST),127.0.0.1)
PORT   ?= $(or $(GEOCIV_PORT),5000)
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install chromium gdal postgis lint clean

run: install
	$(BIN)/geociv --store $(STORE) init --demo
	$(BIN)/geociv --store $(STORE) serve --host $(HOST) --port $(PORT)

# the whole suite on the GeoPackage store, then the web, end-to-end and trust suites again with
# the demo store in a PostGIS database (tests/conftest.py: POSTGIS_SUITES)
test: install chromium gdal postgis
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --dist loadfile
	$(BIN)/python -m pytest -n auto --dist loadfile --backend postgis

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Browser tests drive Debian's Chromium (never a downloaded browser); CJK fonts for the labels.
chromium:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh >/dev/null 2>&1 || [ -z "$$(fc-list :lang=zh)" ]; then \
		echo "Installing Debian chromium and fonts-noto-cjk"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# The GeoPackage tests run GDAL's own validator (validate_gpkg.py) and Debian 12's GDAL, the one
# under QGIS on Debian 12, in Debian's Python: Debian's python3-gdal (never a wheel).
gdal:
	@if ! /usr/bin/python3 -c "import osgeo_utils.samples.validate_gpkg" >/dev/null 2>&1; then \
		echo "Installing Debian python3-gdal"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-gdal >/dev/null; \
	fi

# The PostGIS backend's tests start a throw-away cluster (tests/pg_cluster.py) with Debian's
# server and PostGIS; gdal-bin's ogrinfo opens its layers with GDAL's PostgreSQL driver (as QGIS).
PG_MAJOR ?= 15
postgis:
	@if [ ! -x /usr/lib/postgresql/$(PG_MAJOR)/bin/initdb ] || \
	    [ ! -f /usr/share/postgresql/$(PG_MAJOR)/extension/postgis.control ] || \
	    ! command -v ogrinfo >/dev/null; then \
		echo "Installing Debian postgresql, postgresql-$(PG_MAJOR)-postgis-3 and gdal-bin"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql \
			postgresql-$(PG_MAJOR)-postgis-3 gdal-bin >/dev/null; \
	fi

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache .ruff_cache

"""The real-browser tests (Chromium through Selenium); axe-core is installed here by npm."""

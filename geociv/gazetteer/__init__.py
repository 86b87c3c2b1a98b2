"""Place-name gazetteer: names, categories, naming rules and pinyin."""

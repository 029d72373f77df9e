# classifier.mk: the classifier's data, included from the Makefile.
# VADER's lexicon is a pinned dependency fetched from the npm registry and
# checked by sha256 (never committed); our own brand-care lexicon and rules
# are copied from classifier/data. Everything lands in $(BUILD)/share/heed,
# which is where a heed binary in $(BUILD) looks first (see classify.h).

VADER_VERSION := 1.1.3
VADER_SHA256  := ffb6117bfccf798a34e91d72f50604329946e6fd763668092618d5c5b340a298
CLS_SHARE     := $(BUILD)/share/heed
CLS_OWN_DATA  := $(wildcard classifier/data/*.lex classifier/data/*.rules)
CLS_DATA      := $(CLS_SHARE)/vader_lexicon.txt \
                 $(CLS_OWN_DATA:classifier/data/%=$(CLS_SHARE)/%)

.PHONY: classifier-data
classifier-data: $(CLS_DATA)
all tests: $(CLS_DATA)

$(CLS_SHARE)/vader_lexicon.txt: mk/fetch-vader.sh
	sh mk/fetch-vader.sh $@ $(VADER_VERSION) $(VADER_SHA256)

$(CLS_SHARE)/%: classifier/data/%
	@mkdir -p $(dir $@)
	cp $< $@

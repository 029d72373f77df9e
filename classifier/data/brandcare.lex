# brandcare.lex: heed's own lexicon for brand care, read after VADER's.
#
# Format (VADER's own, so any VADER-style lexicon works the same way):
#   TOKEN<TAB>VALENCE[<TAB>anything]
# VALENCE is a mean rating on VADER's scale, -4 (extremely negative) to +4
# (extremely positive); 0 is neutral. TOKEN is a word, emoticon or emoji,
# or a phrase of up to three words separated by single spaces ("waste of
# money"), which then scores as one item. Matching ignores case, accents
# and look-alike letters (tokens are folded like mention text: NFKC, case
# folded), and emoji match with or without their variation selector and
# skin tone. A later line or file overrides an earlier one, so your own
# file (config: [classifier] extra_lexicons) can re-rate any word here or
# in VADER's. Lines starting with "# " are comments.
#
# The words below are support slang and complaint vocabulary that VADER's
# 2014 lexicon lacks, rated by analogy with its neighbours (e.g. "scammed"
# beside "scam" -2.7), and the emoji of social media, which VADER's lexicon
# does not cover.

# complaints about products and service
scammed	-2.8
scammer	-2.8
scammers	-2.8
scamming	-2.8
scammy	-2.4
ripoff	-2.6
rip-off	-2.6
rip off	-2.6
ripped off	-2.6
unusable	-2.6
laggy	-1.6
buggy	-1.8
bugged	-1.5
glitch	-1.3
glitches	-1.3
glitchy	-1.7
glitching	-1.5
crashes	-1.7
crashing	-1.7
crashed	-1.7
outage	-1.8
outages	-1.8
downtime	-1.6
overcharged	-2.3
overcharging	-2.3
unresponsive	-1.8
unhelpful	-1.9
bricked	-2.6
borked	-1.8
janky	-1.6
clunky	-1.3
sluggish	-1.3
ghosted	-1.9
trash	-1.9
garbage	-2.1
junk	-1.8
shady	-1.8
scummy	-2.3
theft	-2.4
stole	-2.2
unreliable	-1.9
nightmare	-2.7
inexcusable	-2.4
overpriced	-1.6
hassle	-1.4
headache	-1.6
spammy	-1.6
unprofessional	-2.0
disrespectful	-2.2
fml	-2.0
bane	-1.8
yikes	-1.2
argh	-1.5
waste of money	-2.6
waste of time	-2.2
piece of junk	-2.8
piece of crap	-2.8
piece of garbage	-2.9
screwed over	-2.3
let down	-1.8
hidden fees	-2.0
price gouging	-2.5
zero stars	-2.4
0 stars	-2.4
1 star	-2.0
one star	-2.0
never again	-2.0

# praise
seamless	1.9
tyvm	1.9
tysm	2.0
shoutout	1.6
shout out	1.6
goated	2.2
top notch	2.4
second to none	2.5
game changer	2.2
hats off	1.9
well done	2.0
5 stars	2.2
five stars	2.2
10/10	2.5
above and beyond	2.6

# emoji: faces
😀	2.0
😃	2.2
😄	2.2
😁	2.0
😆	2.0
😅	0.8
🤣	2.2
😂	1.0
🙂	1.2
🙃	-0.3
😉	1.2
😊	2.1
😇	1.8
🥰	2.8
😍	2.8
🤩	2.8
😘	2.2
😗	1.2
☺	1.8
😚	1.8
😙	1.5
🥲	0.2
😋	1.8
😛	1.0
😜	1.2
🤪	0.8
😝	0.9
🤑	0.5
🤗	2.0
🤭	0.5
🤔	-0.3
🤐	-0.5
🤨	-0.8
😐	-0.4
😑	-0.9
😶	-0.4
😏	-0.3
😒	-1.7
🙄	-1.6
😬	-1.0
🤥	-1.5
😌	1.2
😔	-1.5
😪	-1.0
😴	-0.6
😷	-1.0
🤒	-1.5
🤕	-1.6
🤢	-2.2
🤮	-2.6
🥵	-1.0
🥶	-0.8
🥴	-0.8
😵	-1.6
🤯	-1.0
🥳	2.5
😎	1.7
🤓	0.6
🫠	-0.8
🫤	-0.8
😕	-1.2
😟	-1.6
🙁	-1.5
☹	-1.8
😮	-0.2
😯	-0.3
😲	-0.3
😳	-0.8
🥺	-0.8
😦	-1.3
😧	-1.5
😨	-2.0
😰	-2.0
😥	-1.5
😢	-2.0
😭	-2.2
😱	-2.2
😖	-2.0
😣	-1.8
😞	-2.0
😓	-1.4
😩	-2.1
😫	-2.1
🥱	-1.0
😤	-2.0
😡	-2.8
😠	-2.6
🤬	-3.0
👿	-1.8
☠	-1.5
💩	-2.0
🤡	-2.0
😸	2.0
😹	1.5
😻	2.6
🙀	-1.5
😿	-2.0
😾	-2.0

# emoji: hearts
❤	2.8
🧡	2.6
💛	2.6
💚	2.6
💙	2.6
💜	2.6
🤍	2.0
🤎	2.0
💔	-2.9
❣	2.3
💕	2.8
💞	2.7
💓	2.6
💗	2.7
💖	2.8
💘	2.4
💝	2.4

# emoji: hands and symbols
👍	1.9
👎	-1.9
👏	1.8
🙌	2.2
🙏	1.2
💪	1.6
🤝	1.5
👌	1.8
✌	1.2
🤞	0.8
🖕	-3.0
🤦	-1.8
🤷	-0.1
🔥	1.0
💯	2.0
✨	1.2
🎉	2.4
🎊	2.2
🥂	1.8
🏆	2.2
⭐	1.5
🌟	1.9
✅	1.2
❌	-1.5
⚠	-1.0
🚫	-1.3
⛔	-1.3
🆘	-2.0
🚨	-1.2
💸	-1.2
🗑	-1.5
🐌	-1.0

# service words VADER rates positive ("support" 1.7, "help" 1.7, "care"
# 2.2, "please" 1.3) that are neutral names of things in brand care
customer service	0
customer care	0
customer support	0
tech support	0
technical support	0
support team	0
support ticket	0
support agent	0
care team	0
help desk	0
helpdesk	0
help center	0
help centre	0
please help	0
need help	0
help me	0
any help	0
can you help	0
# product names VADER would read as praise ("smart" 1.7)
smart lock	0
smart locks	0
smart tv	0
smart meter	0
smart home	0
smart watch	0
smart plug	0
smart speaker	0
smart thermostat	0
smart card	0

# re-rated for brand care: VADER rates "hand" 2.2 (applause), but here it
# is mostly a body part ("burned my hand") or "on the other hand"
hand	0
better business bureau	0
can't believe	0
cant believe	0
# squalor
filthy	-2.2
grimy	-1.6
moldy	-1.8
mouldy	-1.8
smelly	-1.5
stinks	-1.8
cockroaches	-2.0
bedbugs	-2.5
bed bugs	-2.5
# thanks and praise in other languages, common in English posts
gracias	1.9
merci	1.9
danke	1.9
grazie	1.9
obrigado	1.9
obrigada	1.9
bueno	1.9
genial	2.0
excelente	2.7

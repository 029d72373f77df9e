/* lang.c: a small language guess for mentions the platform did not label,
 * so that text in another language is noted and not scored as English
 * garbage (Spanish "no" is not VADER's -1.2). Non-Latin scripts are told
 * by their letters; Latin-script text by counting frequent words of seven
 * languages. It says "looks English" unless the evidence is clear. */
#include <string.h>
#include <strings.h>

#include "classify_int.h"

static const char *const lang_codes[LANG_N] = {
	"en", "es", "fr", "de", "pt", "it", "nl",
};

/* Frequent words, folded (no accents). English words that look the same
 * in another language ("die", "was", "son", "war") are left out there. */
static const char *const stopwords[LANG_N] = {
	/* en */
	"the and is are was were to of my i you your it it's its this that for "
	"with on have has had not but be been they we our what why how just can "
	"can't will won't do does did don't didn't doesn't at from an a me so in "
	"or if all about get got still again after when there their would should "
	"could am im i'm any no yes please thanks thank order account app "
	"customer support help refund waiting since days hours now today who "
	"which only even ever never than then them he she his her us as by up "
	"out one more some very really too also because being",
	/* es */
	"el la los las que de del y por para con una uno un muy pero esta estoy "
	"es mi mis lo le se su sus nada mas cuando porque como todo hay tengo "
	"tiene gracias hola no ya desde hace ayer hoy pedido cuenta dinero "
	"servicio ayuda funciona todavia nunca siempre donde quiero puedo estan "
	"fue sin al este eso esto me te nos tambien llega llego mal gusta mucho "
	"bien bueno buena nadie",
	/* fr */
	"le la les des de du est et je ne pas une un que qui dans mais avec mon "
	"ma mes ce cette c'est j'ai merci tres sur vous nous toujours rien au aux "
	"encore depuis ca bonjour commande compte pourquoi votre vos suis sont il "
	"elle on en fait jamais aucun aucune remboursement colis marche",
	/* de */
	"der die das und ist nicht ich sie wir ein eine einen mit auf fur noch "
	"schon aber auch sehr kein keine mein meine bitte danke seit wieder "
	"immer nur oder wenn warum wie ja es zu von bei habe hat wird bestellung "
	"konto geld nichts funktioniert mehr heute gestern dass den dem des im "
	"sind mir mich ihr euch euer eure werde meinen meinem meiner wurde "
	"haben kann keinen kunde",
	/* pt */
	"o os um uma nao e que com para meu minha muito mas esta estou ainda "
	"obrigado obrigada voce ja pedido isso nada sempre dia porque do da dos "
	"das no na nos em de se por ate foi tem sem conta dinheiro funciona nunca "
	"quando aqui ola",
	/* it */
	"il lo gli le non che di per con una uno un sono mio mia ancora grazie "
	"molto ma anche perche della del questo questa sempre niente e ho hai ha "
	"al alla nel ordine soldi funziona mai da come cosa ciao oggi ieri",
	/* nl */
	"de het een en niet ik je van dat met voor maar nog wel geen mijn "
	"bestelling heb hebben zijn wat waarom altijd bedankt dank is op te er "
	"ook naar bij nu werkt geld vandaag gisteren jullie u",
};

void lang_setup(struct heed_classifier *c)
{
	for (unsigned l = 0; l < LANG_N; l++) {
		const char *p = stopwords[l];

		while (*p) {
			size_t n = strcspn(p, " ");
			int32_t e = lex_intern(&c->lex, p, n);

			c->lex.e[e].langs |= (uint16_t)(1u << l);
			p += n;
			p += *p == ' ';
		}
	}
}

static const char *by_script(const struct heed_classify_ctx *x)
{
	const unsigned *s = x->n_script;
	unsigned best = SCRIPT_LATIN;

	/* every letter is counted in one script: all Latin, as most are */
	if (s[SCRIPT_LATIN] == x->n_letters)
		return NULL;
	for (unsigned k = 1; k < SCRIPT_N; k++)
		if (s[k] > s[best])
			best = k;
	if (best == SCRIPT_LATIN || s[best] * 2 < x->n_letters)
		return NULL;
	switch (best) {
	case SCRIPT_CYRILLIC: return "ru";
	case SCRIPT_GREEK: return "el";
	case SCRIPT_ARABIC: return "ar";
	case SCRIPT_HEBREW: return "he";
	case SCRIPT_HAN: return s[SCRIPT_KANA] ? "ja" : "zh";
	case SCRIPT_KANA: return "ja";
	case SCRIPT_HANGUL: return "ko";
	case SCRIPT_DEVANAGARI: return "hi";
	case SCRIPT_THAI: return "th";
	default: return "und";
	}
}

/* Bit l of b as byte l of the result; exact for the 7 low bits (tried
 * on all 128 values: the product's other terms never carry into them). */
static inline uint64_t spread(unsigned b)
{
	return ((b & 0x7fu) * 0x0002040810204081ull) & 0x0101010101010101ull;
}
_Static_assert(LANG_N <= 7, "spread() takes 7 languages");

static void add_lanes(unsigned *count, uint64_t lanes)
{
	for (unsigned l = 0; l < LANG_N; l++)
		count[l] += (unsigned)(lanes >> (8 * l)) & 0xffu;
}

const char *lang_guess(const struct heed_classify_ctx *x)
{
	unsigned count[LANG_N] = { 0 }, best = 0, in_lanes = 0;
	const char *script = by_script(x);
	uint64_t lanes = 0;

	if (script)
		return script;
	/* count in the bytes of one word (language l in byte l), emptied
	 * into count[] before a byte could overflow; without a branch per
	 * token, as whether one counts is random */
	for (size_t i = 0; i < x->n_toks; i++) {
		unsigned langs = x->toks[i].info >> LEX_LANGS_SHIFT;

		lanes += spread(langs) & -(uint64_t)(x->toks[i].kind == TK_WORD);
		if (++in_lanes == 255) {
			add_lanes(count, lanes);
			lanes = 0;
			in_lanes = 0;
		}
	}
	add_lanes(count, lanes);
	best = LANG_EN + 1;
	for (unsigned l = best + 1; l < LANG_N; l++)
		if (count[l] > count[best])
			best = l;
	if (count[best] >= 2 && count[best] > 2 * count[LANG_EN])
		return lang_codes[best];
	return "";
}

bool lang_scored(const struct heed_classifier *c, const char *code)
{
	size_t n = strcspn(code, "-_");

	for (size_t i = 0; i < c->n_scored_codes; i++) {
		const char *s = c->scored_codes[i];

		if (strlen(s) == n && !strncasecmp(s, code, n))
			return true;
	}
	return false;
}

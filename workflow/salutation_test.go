package workflow

import "testing"

func TestWithoutSalutation(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"dutch greeting and sign-off", "Beste mevrouw Jansen,\n\nWij vinden uw klacht gegrond.\n\nMet vriendelijke groet,\nAnna de Vries\nKlachtenfunctionaris",
			"Wij vinden uw klacht gegrond."},
		{"informal", "Hoi Sanne,\n\nWe bellen je morgen.\n\nGroet,\nAnna", "We bellen je morgen."},
		{"english", "Dear Ms Jansen,\n\nYour complaint is upheld.\n\nKind regards,\nAnna de Vries", "Your complaint is upheld."},
		{"sign-off with name on one line", "Het gesprek is geweest.\n\nGroet, Anna", "Het gesprek is geweest."},
		{"no salutation", "Wij vinden uw klacht gegrond.\n\nDe medewerker heeft het protocol niet gevolgd.",
			"Wij vinden uw klacht gegrond.\n\nDe medewerker heeft het protocol niet gevolgd."},
		{"a sentence that starts like a greeting", "Dag en nacht is er iemand bereikbaar. Dat blijft zo.\n\nTot ziens.",
			"Dag en nacht is er iemand bereikbaar. Dat blijft zo.\n\nTot ziens."},
		{"a word that starts like one", "Historie: de klacht.\n\nGroetenissen zijn geen afsluiting van deze tekst die lang is.",
			"Historie: de klacht.\n\nGroetenissen zijn geen afsluiting van deze tekst die lang is."},
		{"a closing line far above the end stays", "Met groet\n\n1\n2\n3\n4\n5\n6", "Met groet\n\n1\n2\n3\n4\n5\n6"},
		{"only salutation", "Beste Sanne,\n\nGroet,\nAnna", "Beste Sanne,\n\nGroet,\nAnna"},
		{"signed with the first name only", "Beste Sanne,\n\nJe krijgt het uiterlijk vrijdag.\n\nAnna", "Je krijgt het uiterlijk vrijdag."},
		{"a last line that is someone else's name stays", "Zie het verslag van\n\nMarco", "Zie het verslag van\n\nMarco"},
	}
	for _, c := range cases {
		if got := withoutSalutation(c.in, "Anna de Vries"); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

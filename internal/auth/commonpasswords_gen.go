//go:build ignore

// Command commonpasswords_gen writes commonpasswords.txt: passwords of at
// least MinPasswordLength characters that guessing attacks try first. The
// list is generated rather than copied: the base words are the ones that
// recur at the top of every published breach-frequency ranking (and a few
// local ones: the store serves East Africa), combined with the suffixes
// people add to reach a length rule, plus keyboard walks and digit runs.
// Run by go generate; the output is sorted, so reruns are byte-identical.
package main

import (
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
)

const minLen = 10

var words = strings.Fields(`
password passw0rd p@ssword p@ssw0rd qwerty qwertyuiop asdfgh asdfghjkl zxcvbnm
iloveyou loveyou letmein welcome admin administrator root master login access
monkey dragon football baseball soccer basketball hockey princess sunshine
shadow superman batman spiderman pokemon starwars whatever trustno1 freedom
michael jennifer jordan hunter ashley charlie daniel andrew thomas jessica
michelle robert matthew joshua nicole summer winter spring autumn flower
chocolate cookie cheese pepper ginger orange banana apple mustang ferrari
harley corvette yankees cowboys liverpool chelsea arsenal manchester barcelona
madrid juventus killer hello hellokitty angel angels babygirl lovely loveme
mylove forever secret secure changeme default guest test testing computer
internet samsung iphone google facebook microsoft windows linux dolphin tigger
maggie buster jesus christ blessed heaven family friends friend money
nairobi mombasa kisumu kenya kampala uganda tanzania dodoma arusha kigali
safaricom mpesa jambo karibu asante savannah simba rafiki hakuna matata
africa lagos accra johannesburg qazwsx 1qaz2wsx zaq12wsx abc abcdef abcdefg
`)

var suffixes = strings.Fields(`
1 12 123 1234 12345 123456 1234567 12345678 123456789 1234567890 ! !! !!! 1!
123! 01 007 69 99 00 11 111 2000 2010 2015 2016 2017 2018 2019 2020 2021 2022
2023 2024 2025 2026 @123 #1 321 54321 987654321 abc
`)

func main() {
	set := map[string]bool{}
	add := func(s string) {
		s = strings.ToLower(s)
		if len(s) >= minLen {
			set[s] = true
		}
	}
	for _, w := range words {
		add(w)
		add(w + w)
		for _, s := range suffixes {
			add(w + s)
			add(s + w)
		}
	}
	walks := strings.Fields(`1234567890 0987654321 qwertyuiop poiuytrewq asdfghjkl lkjhgfdsa
		zxcvbnm mnbvcxz 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc qazwsxedc qazwsxedcrfv
		!@#$%^&*() 1qazxsw2 zaq1xsw2cde3 qweasdzxc qweasdzxc123 q1w2e3r4t5 a1b2c3d4e5`)
	for _, w := range walks {
		add(w)
		for _, s := range []string{"", "1", "!", "123"} {
			add(w + s)
		}
	}
	for d := '0'; d <= '9'; d++ {
		for n := minLen; n <= 16; n++ {
			add(strings.Repeat(string(d), n))
		}
	}
	digits := "01234567890123456789"
	for i := 0; i < 10; i++ {
		for n := minLen; n <= 16 && i+n <= len(digits); n++ {
			add(digits[i : i+n])
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	f, err := os.Create("commonpasswords.txt")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range out {
		fmt.Fprintln(f, s)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

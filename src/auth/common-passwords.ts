/**
 * The most common passwords of public breach corpora (the English and the Chinese top lists), lower case. A password
 * is refused when it is one of them, or one of them followed by digits and punctuation only (`password123!`).
 */
export const COMMON_PASSWORDS: readonly string[] = `
123456 123456789 12345678 12345 1234567 1234567890 123123 111111 000000 654321 666666 888888 121212 112233 123321
123654 1111111 11111111 147258369 159357 1314520 5201314 520520 1qaz2wsx 1q2w3e4r 1q2w3e4r5t 1qazxsw2 zaq12wsx
qwerty qwertyuiop qwerty123 qwe123 qweasd qweasdzxc asdfgh asdfghjkl asd123 zxcvbnm zxcvbn azerty abc123 abcd1234
a123456 a12345678 aa123456 aa12345678 a1234567 abc12345 123abc 123qwe qq123456 woaini woaini1314 woaini520 iloveyou
password passw0rd p@ssw0rd p@ssword password1 passwort motdepasse admin admin123 administrator root toor
letmein welcome welcome1 monkey dragon master shadow sunshine princess football baseball superman batman trustno1
starwars whatever freedom charlie michael jennifer jordan hunter ranger buster soccer harley hello hello123
login guest test test123 testing changeme default secret qazwsx 123qweasd 1234qwer qwer1234 asdf1234 zxcv1234
abcdef abcdefg abcdefgh aaaaaa aaaaaaaa 987654321 9876543210 11223344 12344321 1234554321 0123456789 00000000
88888888 66666666 99999999 12121212 147258 258369 741852963 147852369 wang123 wangyang zhangwei liuyang
iloveyou1 loveyou lovely nicole daniel ashley jessica michelle 1234abcd 1a2b3c4d computer internet
dalaba emergency broadcast
`
  .split(/\s+/)
  .filter(Boolean);

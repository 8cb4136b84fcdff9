package student_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/org"
	"github.com/xuri/excelize/v2"
)

// The most common surnames, roughly by frequency, and characters common in
// given names: enough for a city's worth of plausible, made-up students.
var (
	surnames   = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	givenChars = []rune("子梓浩宇轩涵欣怡诗雨晨思佳俊杰博文一可若嘉明阳天乐昊然泽睿宁静雅婷琪萱彤瑶紫嫣皓铭振华建国志强伟芳娜敏丽秀英慧巧美娟桂兰")
	relations  = []string{"母亲", "父亲", "奶奶", "爷爷", "外婆", "外公"}
	districts  = []string{"东城区", "西城区", "南湖区", "北山区", "江海区", "新港区", "高新区", "滨江区", "青山区", "长乐区"}
	gradeNames = map[int]string{7: "初一", 8: "初二", 9: "初三", 10: "高一", 11: "高二", 12: "高三"}
)

// benchSchool is one school of the generated city: six primary schools,
// two junior and two senior secondary schools per district.
type benchSchool struct {
	name      string
	low, high int // grades taught
}

func benchSchools() []benchSchool {
	var out []benchSchool
	for _, d := range districts {
		for k := 1; k <= 10; k++ {
			switch {
			case k <= 6:
				out = append(out, benchSchool{fmt.Sprintf("%s第%d小学", d, k), 1, 6})
			case k <= 8:
				out = append(out, benchSchool{fmt.Sprintf("%s第%d初级中学", d, k-6), 7, 9})
			default:
				out = append(out, benchSchool{fmt.Sprintf("%s第%d高级中学", d, k-8), 10, 12})
			}
		}
	}
	return out
}

// createBenchSchools builds the ten districts and hundred schools in e.
func (e *env) createBenchSchools() {
	parents := map[string]*org.Unit{}
	for _, s := range benchSchools() {
		d := s.name[:len("东城区")]
		if parents[d] == nil {
			parents[d] = e.unit(org.District, d, "", e.city)
		}
		e.unit(org.School, s.name, "", parents[d])
	}
}

func benchName(r *rand.Rand) string {
	var b strings.Builder
	b.WriteRune(surnames[min(r.IntN(len(surnames)), r.IntN(len(surnames)))]) // skewed to the common ones
	for range 1 + r.IntN(2) {
		b.WriteRune(givenChars[r.IntN(len(givenChars))])
	}
	return b.String()
}

func phone(r *rand.Rand) string {
	prefixes := []string{"130", "133", "135", "136", "138", "139", "150", "158", "177", "186", "189"}
	return prefixes[r.IntN(len(prefixes))] + fmt.Sprintf("%08d", r.IntN(100000000))
}

// benchRoster writes an n-row roster as XLSX with excelize's StreamWriter:
// birth dates as real date cells, grades as numbers or 初一–高三, two or
// three guardians per student.
func benchRoster(tb testing.TB, n int) []byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(2025, 3))
	schools := benchSchools()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	dateFmt := "yyyy-mm-dd"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		tb.Fatal(err)
	}
	head := []any{"学籍号", "姓名", "性别", "出生日期", "学校", "年级", "班级", "监护人1姓名", "监护人1关系", "监护人1电话",
		"监护人2姓名", "监护人2关系", "监护人2电话", "监护人3姓名", "监护人3关系", "监护人3电话", "备注"}
	if err := sw.SetRow("A1", head); err != nil {
		tb.Fatal(err)
	}
	perDay := map[string]int{}
	for i := range n {
		s := schools[i%len(schools)]
		grade := s.low + r.IntN(s.high-s.low+1)
		born := time.Date(2018-grade, time.September, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365))
		region := 110101 + (i%len(schools))/10
		key := fmt.Sprintf("%d%s", region, born.Format("20060102"))
		perDay[key]++
		no := fmt.Sprintf("G%s%04d", key, perDay[key])
		g := any(grade)
		if name, ok := gradeNames[grade]; ok && r.IntN(2) == 0 {
			g = name
		}
		gender := []string{"女", "男"}[r.IntN(2)]
		name := benchName(r)
		surname := string([]rune(name)[:1])
		values := []any{no, name, gender, excelize.Cell{StyleID: dateStyle, Value: born}, s.name, g,
			fmt.Sprintf("%d班", 1+r.IntN(8)),
			benchName(r), "母亲", phone(r), surname + string(givenChars[r.IntN(len(givenChars))]) + "强", "父亲", phone(r)}
		if r.IntN(5) == 0 { // a grandparent for one child in five
			values = append(values, benchName(r), relations[2+r.IntN(4)], phone(r))
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, values); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

"""Words and phrases the QR transport's frozen dictionary (version 2) holds, written once by hand.

They are the general vocabulary of skills assessment and of vocational trades in English,
Spanish and Filipino (Tagalog): what assessors write in an evidence summary and what providers
call their qualifications. They are not taken from any test corpus. Within each list the
commonest come last, because the dictionary ends with them and DEFLATE reaches its end most
cheaply. Changing anything here changes the dictionary, which would need a new format version:
``PUBLISHED`` in ``certsvc.qr.dictionary`` pins the bytes.
"""

from __future__ import annotations

TRADES_EN = """
automotive servicing, motorcycle repair, diesel engine, heavy equipment operation, forklift, crane
rigging, signalling, scaffolding, formwork, steel fixing, rebar, masonry, bricklaying, tiling,
plastering, painting, carpentry, joinery, cabinet making, plumbing, pipefitting, sanitary
installation, refrigeration and air-conditioning, electronics, electrical installation and
maintenance, building wiring, motor control, solar panel installation, welding, shielded metal arc
welding, gas metal arc welding, gas tungsten arc welding, flux-cored, fabrication, machining, CNC
lathe and milling, sheet metal, garment sewing, dressmaking, tailoring, industrial sewing machine,
bread and pastry production, baking, commercial cookery, food and beverage service, bartending,
barista, housekeeping, front office, hotel and restaurant services, tour guiding, caregiving,
elderly care, child care, home-based personal care, nursing aide, massage therapy, beauty care,
hairdressing, domestic work, household services, cleaning, laundry, driving, security services,
agriculture, plantation, oil palm, rubber tapping, horticulture, animal husbandry, fishing,
aquaculture, food processing, meat cutting, factory production, assembly line, quality
inspection, warehouse, logistics, inventory, packing, shipyard, construction, manufacturing,
hospitality, health and social care, certificate in, level 1, level 2, level 3, level 4,
National Certificate, Certificate III, Certificate II, Trade Test, Skills Certificate
"""

NARRATIVE_EN = """
apprentice, helper, technician, operator, foreman, team leader, site engineer, head chef, sous chef,
kitchen, restaurant, hotel, resort, care home, hospital, household, client, patient, farm, factory,
workshop, plant, site, project, company, employer, former employer, agency, training centre;
measured, calculated, interpreted drawings, read blueprints, followed the work instruction, set up
the machine, adjusted, calibrated, tested, inspected, repaired, replaced, installed, assembled,
dismantled, cleaned, stored, labelled, recorded, reported, handled, lifted, prepared, cooked,
served, plated, fed, bathed, transferred, dressed, assisted, supervised, trained others;
root pass, cap pass, fillet weld, groove weld, butt joint, plate, pipe, flat, horizontal,
vertical, overhead, bend test, visual inspection, x-ray, tolerance, finish, accuracy, speed;
hygiene, food safety, HACCP, temperature control, allergens, menu, recipe, portion, mise en place;
vital signs, blood pressure, medication, mobility, dementia, first aid, infection control;
circuit, breaker, distribution board, conduit, cable, earthing, insulation test, continuity;
tools, equipment, materials, hand tools, power tools, measuring instruments, fire extinguisher,
lockout tagout, working at height, harness, housekeeping of the work area, waste disposal;
certificates, training records, payslips, employment contract, job description, photos, videos,
work samples, logbook, letter, statement, testimonial, certificate of employment, records checked;
no errors, minor errors, corrected, satisfactory, good, very good, excellent, safe, unsafe, not yet
competent, meets the standard, to the required standard, within the time allowed, without help,
with little supervision, independently, consistently, correctly, accurately, safely, efficiently;
one year, two years, three years, four years, five years, six months, more than, over, about, at least,
hours, days, weeks, months, years, daily, weekly, since, until, from, to, during, before, after;
assessed by, assessed on, assessment, assessor, qualified assessor, workplace assessor, evidence,
verified, confirmed, reviewed, checked, observed, demonstrated, performed, completed, passed,
practical test, practical demonstration, skills test, trade test, written test, oral questioning,
questions, answers, answered, interview, structured interview, portfolio, work portfolio,
third-party report, supervisor report, reference letter, employer reference, supervisor statement,
observed at work, on the job, in the workplace, in the workshop, at the training centre,
candidate, the candidate, worked as, work experience, years of experience, experience in,
safety procedures, safety rules, personal protective equipment, PPE, quality, standard, procedure,
competent, competency, competencies, skills, knowledge, task, tasks, unit, units, elements,
the, of, and, in, on, at, for, with, by, as, to, a, an, was, were, has, had, is, are, all, each,
"""

NARRATIVE_ES = """
aprendiz, ayudante, técnico, operario, maestro de obra, jefe de cocina, cocinero, cocinera,
soldador, electricista, albañil, carpintero, fontanero, costurera, cuidadora, niñera, empleada,
taller, obra, fábrica, planta, cocina, restaurante, hotel, empresa, empleador anterior, finca,
midió, calculó, interpretó planos, instaló, reparó, montó, inspeccionó, limpió, preparó, cocinó,
sirvió, atendió, registró, informó, manejó, ajustó, probó, cumplió, realizó, completó, demostró,
soldadura, placa, tubo, posición plana, horizontal, vertical, sobrecabeza, prueba de doblez,
inspección visual, acabado, precisión, higiene, inocuidad alimentaria, receta, menú, porciones,
signos vitales, medicamentos, primeros auxilios, movilidad, circuito, tablero, cableado, tierra,
herramientas, equipo, materiales, extintor, trabajo en altura, arnés, orden y limpieza,
constancia de trabajo, carta de recomendación, contrato, recibos de pago, fotos, muestras de trabajo,
bitácora, declaración del supervisor, informe de tercero, certificado de trabajo, documentos revisados,
sin errores, errores menores, satisfactorio, satisfactoria, bueno, muy bueno, excelente, seguro,
según la norma, dentro del tiempo, sin ayuda, con poca supervisión, de forma independiente,
correctamente, con seguridad, un año, dos años, tres años, cuatro años, cinco años, seis meses, más de,
horas, días, semanas, meses, años, desde, hasta, durante, antes, después, experiencia de,
evaluado por, evaluación, evaluador, evaluador certificado, evidencia, verificado, verificada,
confirmado, revisado, revisada, observado, observada, aprobado, aprobada, prueba práctica,
demostración práctica, examen escrito, preguntas orales, entrevista, portafolio, referencia del
empleador, en el lugar de trabajo, en el taller, en el centro de formación, el candidato, la candidata,
trabajó como, experiencia laboral, años de experiencia, normas de seguridad, equipo de protección
personal, calidad, procedimiento, competente, competencia, habilidades, conocimientos, tareas,
el, la, los, las, de, del, y, en, con, por, para, como, un, una, fue, se, su, sus, al, que
"""

NARRATIVE_FIL = """
katulong, tagapagluto, kusinero, kusinera, tagapag-alaga, mananahi, karpintero, tubero, elektrisyan,
trabahador, manggagawa, pabrika, kusina, bahay, ospital, hotel, restawran, talyer, kompanya, amo,
dating amo, sukat, gupit, luto, linis, hugas, laba, plantsa, alaga, paliligo, pagpapakain, paglipat,
gamot, presyon ng dugo, pangunang lunas, kalinisan, kaligtasan ng pagkain, resipe, putahe, sangkap,
kagamitan, mga kagamitan, kasangkapan, materyales, tama, wasto, maayos, malinis, ligtas, mabilis,
walang mali, kaunting mali, mahusay, napakahusay, kasiya-siya, ayon sa pamantayan, sa loob ng oras,
nang walang tulong, nang mag-isa, isang taon, dalawang taon, tatlong taon, apat na taon, limang
taon, anim na buwan, higit sa, oras, araw, linggo, buwan, taon, mula, hanggang, habang, bago, pagkatapos,
sulat mula sa, sertipiko ng trabaho, kontrata, mga litrato, mga sample ng trabaho, talaan, pahayag
ng superbisor, ulat ng ikatlong partido, mga dokumento, sinuri, sinuring mabuti, nakita, napatunayan,
kinumpirma, ipinakita, ginawa, natapos, pumasa, nakapasa, praktikal na pagsusulit, pagsusulit,
panayam, mga tanong, sinagot nang tama, portfolio, sa lugar ng trabaho, sa workshop, sa training
center, ang kandidato, nagtrabaho bilang, karanasan sa trabaho, taon ng karanasan, mga patakaran sa
kaligtasan, personal protective equipment, kalidad, pamamaraan, kakayahan, kasanayan, kaalaman,
gawain, mga gawain, ang, ng, sa, at, na, mga, para sa, bilang, kung, siya, niya, ay, may, nang
"""

#: Frequent given names and family names in the Philippines and Latin America (UTF-8 as written).
NAMES_LATIN = """
Ma. Maria María Ana Rosa Carmen Teresa Josefa Luz Elena Isabel Patricia Margarita Gloria Marisol
Lorena Karla Claudia Yesenia Jennifer Jessica Mary Joy Grace Angelica Kristine Rowena Rodel Ronaldo
Jose José Juan Carlos Luis Jorge Miguel Manuel Francisco Pedro Antonio Mario Roberto Ricardo Eduardo
Fernando Alejandro Javier Ramón Ángel Jesús Mark John Michael Christian Jayson Romeo Ernesto Efren
Garcia García Hernandez Hernández Martinez Martínez Lopez López Gonzalez González Rodriguez Rodríguez
Perez Pérez Sanchez Sánchez Ramirez Ramírez Flores Torres Rivera Gomez Gómez Diaz Díaz Cruz Reyes
Morales Ortiz Castillo Romero Vasquez Vásquez Mendoza Aguilar Ramos Chavez Chávez Guzman Guzmán Ruiz
Alvarez Álvarez Jimenez Jiménez Moreno Herrera Medina Castro Vargas Rojas Molina Marquez Márquez
Santos Bautista Ocampo Villanueva Aquino Dela Cruz dela Cruz De la Cruz Del Rosario del Rosario De los
Santos de los Reyes De Guzman Soriano Manalo Mercado Navarro Salazar Tolentino Dizon Pascual Lim Tan
Fernandez Fernández Gutierrez Gutiérrez Dominguez Domínguez Muñoz Nuñez Núñez Peña Ibañez Ibáñez
"""

#: Frequent syllables and name elements in the scripts our corridors serve, as windowed text
#: (``certsvc.qr.windows``) writes them: each script's names fall in one 128-character window.
NAMES_BY_SCRIPT = {
    "burmese": "အောင် ကျော် မင်း ဇော် ဝင်း ထက် နိုင် လှိုင် သူ စု ခင် မေ မြင့် သန့် ဖြိုး မိုး ညွန့် သိန်း ဌေး လွင် "
    "ချို နွယ် ဟိန်း သီရိ ဇင် မာ ယု ဆွေ တင် ထွန်း ပိုင် ရဲ နန္ဒာ ဖြူ ဝေ စိုး ဒေါ် ဦး မောင် ကို မ မြ ကြည် "
    "ဇာ နီ လင်း ထူး ဦး ဉာဏ် အေး သော် ပြည့် ခိုင် ရီ မြတ် သဲ",
    "thai": "สม ชาย ศักดิ์ ประเสริฐ วิชัย สุนทร นภา สุดา มาลี กัญญา ปราณี ธนพล อภิชาติ ณัฐ วุฒิ พิมพ์ ชนก ศิริ พร "
    "วันเพ็ญ จิรา ชัย วัฒน์ ศรี สุข แก้ว มณี บุญ มา ทอง ดี สวัสดิ์ วงศ์ จันทร์ เพ็ญ วิไล วรรณ พงษ์ พานิช เจริญ "
    "ผล รัตน ชัยประเสริฐ สิทธิ โชค ยืน อินทร์ ธนา ภิรมย์ สมบูรณ์ กิตติ นาย นาง นางสาว",
    "khmer": "សុខ ចាន់ ស្រី ពៅ ដារ៉ា សុភា វណ្ណា រតនា សុផល ចន្ថា សំណាង វិចិត្រ ធារី បុប្ផា មករា សុវណ្ណ មុំ បូរ៉ា "
    "ហេង គឹម ជា លី ម៉ៅ សែម ឈុន អ៊ុំ ពេជ្រ ខៀវ សួន ទេព សោភ័ណ្ឌ វុទ្ធី ណារី សុគន្ធ ភក្តី រស្មី គង់ ឈឿន ស៊ាង",
    "bengali": "মোহাম্মদ মোঃ মো. আব্দুল আবদুল করিম রহিম হাসান নুসরাত ফাতেমা মাহমুদ রফিকুল শফিকুল আমিনুল মোস্তফা "
    "কামাল সুমাইয়া তানভীর জান্নাতুল হোসেন হোসাইন ইসলাম আলী উদ্দিন রহমান জাহান বেগম খাতুন আক্তার সুলতানা "
    "মিয়া চৌধুরী শেখ সরকার মজুমদার তালুকদার আহমেদ কুমার দাস রায় মন্ডল নাহার",
    "devanagari": "राम सीता हरि कृष्ण लक्ष्मी बिष्णु विष्णु माया गणेश दीपक सुनिता पुष्पा बहादुर कुमारी प्रसाद शान्ति मीना "
    "सूर्य थापा श्रेष्ठ शर्मा गुरुङ तामाङ मगर राई लिम्बु अधिकारी पौडेल भट्टराई खड्का सुनार विश्वकर्मा ढकाल "
    "घिमिरे कुमार सिंह यादव देवी नेपाली भण्डारी कार्की बस्नेत",
}

#: Everyday English words of work and of describing it (not specific to any trade).
GENERAL_EN = """
able about above according accident across act action active activity actual add added address
adjust advanced advice after again against age agreed ahead air all allowed almost alone along
already also although always amount another answer any anyone anything apply approved area around
arrange arrived ask asked attached attend attention available average away back bad basic because
become been before began begin behind being below best better between big board body both bottom
brought build building built busy but buy call called came can care careful carefully carried carry
case cause centre certain change changed charge check checked choose city class clean clear clearly
close closed collect come comes coming common community company complete completed condition
confirm confirmed contact continue control correct correctly cost could country course cover
covered create current customer customers cut daily damage data date day days deal decide degree
deliver department describe described design detail details develop did different difficult direct
directly document documents does doing done door down during duties duty early easily easy effort
either else employed end enough ensure entire equal error errors even every everything exactly
example except expected explain explained extra face fact factory family far fast few field file
fill final find fine finish finished first fit fix fixed floor follow followed following form found
free friend from front full fully further gave general get getting give given gives giving goes
going gone good got great group grow guide half hand handle handled happen hard have having head
help helped helping her here high him his hold home hour house how however important include
included including increase information inside instead instruction instructions into issue issued
item items job jobs join just keep kept kind know known large last late later lead learn learned
least leave left less letter level line list little live local long look looked lot low made main
maintain make making manage managed manager many mark may means measure meet member method might
minutes missing more most move moved much must name near need needed needs never new next night
none normal note noted number office often old once one only open order other others our out
outside over own owner paid part past pay people per person phone place placed plan point possible
practice prepare present problem problems process produce product products proper properly
provide provided public put quality quickly quite rather reach read ready real reason received
record regular remove repair report reported request required result results return right role room
rule rules run safe same sample saw say school second see seen sent service set several shift
short should show showed shown side sign signed simple since site skill small some someone
something sometimes soon special staff start started state stated still stop strong such supply
sure system take taken team than that their them then there these they thing things think this
those though three through time times today together told too took top total towards trained
training tried true try turn type under understand understood until upon use used useful user
using usual usually very view visit want way week well went what when where whether which while
who whole why will within without word words work worked worker workers working works would write
written wrong year yet you your
"""

#: Everyday Spanish words of work and of describing it.
GENERAL_ES = """
a al algo algunos antes aquí así aunque bajo bien buen buena cada cambio carta casa casi cerca
cliente clientes cliente como con conoce contra cosa cuando cuidado dado dar de debe del dentro
desde después día días dijo donde dos dueño durante el ella ellos en entre era es esa ese eso esta
este esto fecha fotos fue fueron general gran hace hacer hacia hasta hay hecho hizo hora horas jefe
la las le les lo los llamó luego lugar manera mano mañana mayor medida mejor menos mes meses mientras
mismo mucho muy nada ni ningún no nos nuevo o obra otra otro otros para parte pero poco por porque
primer primero pronto propio puede pueden que quien sabe se según ser si sí sido siempre sin sobre
solo su sus también tanto tarde tiempo tiene tienen toda todas todo todos trabajo trajo tres tuvo
un una uno unos usa uso va vez vida y ya
"""

#: Everyday Filipino (Tagalog) words of work and of describing it.
GENERAL_FIL = """
agad akin ako alam amin ang ano araw at ay bago bawat bilang buong dahil dalawa dati din doon
gamit ginawa gumagawa habang hanggang hindi iba ibang ilang isa isang itinuro ito iyon kaniya
kanya kapag kasama kay kaya kung lahat lamang lang laging lugar maaari mabilis mabuti madali mag
maganda magaling mahigit mahusay makita malaki mali marami may mga mula na naging nang nasa natin
ng ngayon nila nito noon pa paano pag pagkatapos pala pang para pero po rin sa sila siya sya tama
tatlo tayo trabaho tulad tungkol upang wala walang
"""

#: Months, weekdays and small numbers, as narratives date and count things, in all three languages.
CALENDAR = """
January February March April May June July August September October November December Monday
Tuesday Wednesday Thursday Friday Saturday Sunday one two three four five six seven eight nine ten
eleven twelve twenty hundred first second third enero febrero marzo abril mayo junio julio agosto
septiembre octubre noviembre diciembre lunes martes miércoles jueves viernes sábado domingo uno dos
tres cuatro cinco seis siete ocho nueve diez once doce veinte cien primero segundo tercero Enero
Pebrero Marso Abril Mayo Hunyo Hulyo Agosto Setyembre Oktubre Nobyembre Disyembre Lunes Martes
Miyerkules Huwebes Biyernes Sabado Linggo isa dalawa tatlo apat lima anim pito walo siyam sampu
labing-isa labindalawa dalawampu isandaan una ikalawa ikatlo
"""
